/** The terminal API's one error type: a stable snake_case err_code, a sentence for the cashier, an HTTP status. */
export class TerminalError extends Error {
  override name = 'TerminalError';
  constructor(
    readonly err_code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function errorBody(err: TerminalError): { err_code: string; err_msg: string } {
  return { err_code: err.err_code, err_msg: err.message };
}
