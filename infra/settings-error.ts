/**
 * A setting that cannot work: a context value or a construct prop. The
 * message names the setting and says what it must be; the app prints it
 * without a stack trace.
 */
export class SettingsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SettingsError';
  }
}
