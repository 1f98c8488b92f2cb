import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateAdminKey } from '../core/config.js';

/** The dev stack's admin key: ADMIN_API_KEY when set, else the one kept in DATA_DIR, else a new one kept there. */
export async function resolveAdminKey(dataDir: string, fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  const file = path.join(dataDir, 'admin-key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const key = generateAdminKey();
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    return key;
  }
}
