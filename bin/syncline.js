#!/usr/bin/env node
// The `syncline` binary. The sources are TypeScript run by Node 24's type stripping (no build step).
import '../src/main.ts';
