/** Random ids for new records; anything that must be idempotent derives its id from business keys instead. */
export interface IdGenerator {
  next(prefix: string): string;
}
