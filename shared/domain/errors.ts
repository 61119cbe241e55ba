/**
 * Typed errors carry the HTTP status they map to and a stable code, so
 * handlers and the CLI never map by message text.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that is malformed or out of range (400). */
export class ValidationError extends DomainError {
  constructor(message: string, code = 'invalid_input') {
    super(code, message, 400);
  }
}

/** The actor may not do this (403). */
export class ForbiddenError extends DomainError {
  constructor(message = 'You do not have the rights for this action', code = 'forbidden') {
    super(code, message, 403);
  }
}

/** The resource does not exist or is not visible to the actor (404). */
export class NotFoundError extends DomainError {
  constructor(message: string, code = 'not_found') {
    super(code, message, 404);
  }
}

/** The request conflicts with the current state (409). */
export class ConflictError extends DomainError {
  constructor(message: string, code = 'conflict') {
    super(code, message, 409);
  }
}

/** Well-formed but refused by a business rule (422). */
export class BusinessRuleError extends DomainError {
  constructor(message: string, code: string) {
    super(code, message, 422);
  }
}
