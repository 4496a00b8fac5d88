#!/usr/bin/env node
// Entry point installed as `coffer`: runs the compiled CLI (npm run build produces dist/).
import '../dist/src/cli/main.js';
