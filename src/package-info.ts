/** This package's name and version, read once from its package.json (two folders up from dist/ and src/ alike). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const PACKAGE = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { name: string; version: string };
