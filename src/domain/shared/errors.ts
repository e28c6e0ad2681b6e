/**
 * Rejections a decision can return. They are expected outcomes of commands (the caller asked for
 * something the current state does not allow), mapped to HTTP once, in the routes.
 */
export type RejectionCode = 'not_found' | 'conflict' | 'invalid' | 'forbidden' | 'gone';

export class DomainRejection extends Error {
  override name = 'DomainRejection';
  readonly code: RejectionCode;
  constructor(code: RejectionCode, message: string) {
    super(message);
    this.code = code;
  }
}

export const reject = (code: RejectionCode, message: string): never => {
  throw new DomainRejection(code, message);
};
