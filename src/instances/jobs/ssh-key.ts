import { generateKeyPairSync } from 'node:crypto'

// The cluster's own key pair (docs/original.md "Provisioning" (step 5)): the master holds the private key, every node trusts
// the public one. OpenSSH wants the public key in its own wire format.

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes.length)
  return Buffer.concat([length, bytes])
}

/** An SSH mpint: big-endian, with a leading zero byte when the high bit is set. */
function mpint(base64url: string): Buffer {
  const bytes = Buffer.from(base64url, 'base64url')
  return sshString(bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes)
}

export interface ClusterKeyPair {
  /** PEM (PKCS#1), for /root/.ssh/id_rsa. */
  privateKey: string
  /** `ssh-rsa AAAA… root`, for authorized_keys and /root/.ssh/id_rsa.pub. */
  publicKey: string
}

export function generateClusterKeyPair(): ClusterKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = publicKey.export({ format: 'jwk' })
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(jwk.e!), mpint(jwk.n!)])
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKey: `ssh-rsa ${blob.toString('base64')} root`,
  }
}
