#!/usr/bin/env node
'use strict';
// The CLI lives in the bundle built by `npm run build` (also run on `npm install` via `prepare`).
require('../dist/cli.js');
