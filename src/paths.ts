import path from 'node:path';
import { fileURLToPath } from 'node:url';

// This file sits one level below the project root both as src/paths.ts (tests, tsx)
// and as dist/paths.js (npm start), so the root is always its grandparent directory.
export const PROJECT_ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const VIEWS_DIR = path.join(PROJECT_ROOT, 'views');
export const PUBLIC_DIR = path.join(PROJECT_ROOT, 'public');
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'src', 'db', 'migrations');
export const LOCALES_DIR = path.join(PROJECT_ROOT, 'locales');
