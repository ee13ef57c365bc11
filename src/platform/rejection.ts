/** Why a command was refused. The HTTP layer maps the kind to a status code and shows `detail` as is. */
export type RejectionKind = 'invalid' | 'not_found' | 'conflict'

export class Rejection extends Error {
  constructor(
    readonly kind: RejectionKind,
    readonly detail: string,
  ) {
    super(detail)
    this.name = 'Rejection'
  }
}

export const notFound = (detail: string) => new Rejection('not_found', detail)
export const conflict = (detail: string) => new Rejection('conflict', detail)
export const invalid = (detail: string) => new Rejection('invalid', detail)
