#!/usr/bin/env node
import { execute } from './program.ts';

await execute();
