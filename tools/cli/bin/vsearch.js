#!/usr/bin/env node
require('./register');
require('../src/main.ts');
