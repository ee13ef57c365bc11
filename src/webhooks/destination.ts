import { BlockList, isIP } from 'node:net'
import { lookup } from 'node:dns/promises'

// Where a webhook may send: http(s) URLs only, without credentials (a URL is stored in an event), to public
// addresses only. Loopback, private, carrier-grade NAT, link-local (the cloud metadata service at 169.254.169.254
// among them), multicast and reserved addresses, and IPv6's equivalents and IPv4-mapped forms, are refused unless
// the setting allows private destinations (development, tests). The same check runs at creation on every address
// the host resolves to, and at delivery on the address actually connected to (delivery.ts), so a host that
// resolves elsewhere later (DNS rebinding) is caught.

const blocked = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(network, prefix, 'ipv6')

/** The IPv4 address an IPv4-mapped (::ffff:a.b.c.d, ::ffff:xxxx:xxxx), IPv4-compatible or NAT64 (64:ff9b::/96)
 *  IPv6 address stands for: it reaches that IPv4 address, and is judged by it. */
function embeddedIpv4(address: string): string | undefined {
  const normalized = new URL(`http://[${address}]`).hostname.slice(1, -1).toLowerCase()
  const dotted = /^(?:::(?:ffff:)?|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(normalized)
  if (dotted) return dotted[1]
  const hex = /^(?:::(?:ffff:)?|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(normalized)
  if (!hex) return undefined
  const [high, low] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)]
  return [high >> 8, high & 255, low >> 8, low & 255].join('.')
}

/** Whether an IP address is one a webhook must not reach (unless private destinations are allowed). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family !== 6) return true
  const v4 = embeddedIpv4(address)
  return v4 !== undefined ? blocked.check(v4, 'ipv4') : blocked.check(address, 'ipv6')
}

export const destinationMessages = {
  notUrl: 'url: must be an absolute http:// or https:// URL.',
  credentials: 'url: must not hold a user name or password (put secrets in your receiver, not in the URL).',
  tooLong: 'url: must be at most 2048 characters.',
  unresolved: (host: string) => `url: the host ${host} could not be resolved.`,
  privateAddress: (host: string) =>
    `url: ${host} resolves to a loopback, private, link-local or otherwise non-public address; webhooks are sent only to public addresses.`,
} as const

/** The URL, if it is one a webhook may have; else what is wrong with it (one of destinationMessages). */
export function parseDestination(text: string): { url: URL } | { problem: string } {
  if (text.length > 2048) return { problem: destinationMessages.tooLong }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { problem: destinationMessages.notUrl }
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return { problem: destinationMessages.notUrl }
  if (url.username !== '' || url.password !== '') return { problem: destinationMessages.credentials }
  return { url }
}

/** The URL's host as an address or a name to resolve (an IPv6 literal loses its brackets). */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1')

export type Resolve = (host: string) => Promise<string[]>

export const resolveAll: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((found) => found.address)

/** Why a webhook may not send to `url` (validated by parseDestination): undefined when it may. */
export async function destinationProblem(url: URL, allowPrivate: boolean, resolve: Resolve = resolveAll): Promise<string | undefined> {
  if (allowPrivate) return undefined
  const host = hostOf(url)
  let addresses: string[]
  try {
    addresses = isIP(host) ? [host] : await resolve(host)
  } catch {
    return destinationMessages.unresolved(host)
  }
  if (addresses.length === 0) return destinationMessages.unresolved(host)
  return addresses.some(isPrivateAddress) ? destinationMessages.privateAddress(host) : undefined
}
