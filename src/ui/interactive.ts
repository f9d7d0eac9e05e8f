// Interactive pieces (prompts, spinner). This module is only ever reached
// through import(), so `doctor --json` never loads inquirer or ora.
import { checkbox, confirm, input, select } from '@inquirer/prompts';
import ora, { type Ora } from 'ora';

export { checkbox, confirm, input, select };

export function spinner(text: string, enabled: boolean): Ora {
  return ora({ text, isEnabled: enabled, stream: process.stderr, discardStdin: false });
}
