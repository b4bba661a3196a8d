/** Random identifiers: 63-bit positive snapshot ids and UUIDs, from the platform's CSPRNG. */

export function newSnapshotId(): bigint {
  const b = new BigUint64Array(1)
  globalThis.crypto.getRandomValues(b)
  const id = (b[0] as bigint) & 0x7fff_ffff_ffff_ffffn
  return id === 0n ? 1n : id
}

export function newUuid(): string {
  return globalThis.crypto.randomUUID()
}
