// Errors meant for the user: printed as one paragraph without a stack trace, with an exit code.
export class UserError extends Error {
  constructor(
    message: string,
    public readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Where in a stack file something is: printed as file:line:column. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export const formatLocation = (loc: SourceLocation): string => `${loc.file}:${loc.line}:${loc.column}`;
