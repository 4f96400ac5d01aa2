/** Naming an option error of a nested options object (a plan's, a route's) by its full path. */
import { SluiceConfigError } from '../core/errors.js';

/**
 * `error`, an option error of a nested options object, named under `prefix` (`plans.<name>`, `config.rateLimit`):
 * its option path and every option path its message names (one, or the first few of several unknown options), each
 * as `<prefix>.<path>`.
 */
export function underOption(error: SluiceConfigError, prefix: string): SluiceConfigError {
  const several = error.message.startsWith('sluice: options ');
  const option = several
    ? error.option
        .split(', ')
        .map((path) => `${prefix}.${path}`)
        .join(', ')
    : `${prefix}.${error.option}`;
  // Stryker disable next-line StringLiteral: equivalent, the message is replaced on the next line
  const rooted = new SluiceConfigError(option, error.value, '');
  // The paths lead the message, each in backticks: `sluice: option `a` ...` or `sluice: options `a`, `b`, 3 more ...`.
  rooted.message = error.message.replace(/^sluice: options? (?:`[^`]*`(?:, )?)+/, (head) => head.replace(/`([^`]*)`/g, `\`${prefix}.$1\``));
  return rooted;
}
