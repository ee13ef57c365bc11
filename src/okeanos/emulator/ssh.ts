/**
 * One SSH server per emulator (ssh2) standing in for the sshd of every master VM: user root,
 * public-key authentication only, exec requests only (no shell, pty or SFTP). The key tells which VM
 * a connection is for (masters.ts); each exec runs on that VM (master-exec.ts) unless an injected
 * failure answers first, in which case nothing runs and the VM is unchanged.
 *
 * ~okeanos gives a server's address as SNF:fqdn or its public IP; the emulator keeps those as they
 * are, and a client reaches every emulated master at 127.0.0.1:<sshPort>.
 */
import type { AddressInfo } from 'node:net'
import ssh2 from 'ssh2'
import type { BlobStore } from './blobs.js'
import { execute } from './master-exec.js'
import type { MasterVms } from './masters.js'
import type { EmulatorState } from './state.js'

export interface SshServer {
  port: number
  close(): Promise<void>
}

/** An ed25519 host key ssh2 can read: about one in 256 that its generateKeyPairSync writes it cannot (it strips a
 *  public key's leading zero byte, mscdex/ssh2#1513), and the server then fails to start. */
function newHostKey(): string {
  for (;;) {
    const key = ssh2.utils.generateKeyPairSync('ed25519').private
    if (!(ssh2.utils.parseKey(key) instanceof Error)) return key
  }
}

export async function startSshServer(
  masters: MasterVms,
  env: { state: EmulatorState; blobs: BlobStore },
  host = '127.0.0.1',
  port = 0,
): Promise<SshServer> {
  // A fresh host key per emulator: clients of the emulator do not pin host keys (nor did the original).
  const hostKey = newHostKey()
  const connections = new Set<ssh2.Connection>()
  const jobId = () => env.state.randomString(32, '0123456789abcdef')

  const server = new ssh2.Server({ hostKeys: [hostKey], ident: 'OpenSSH_9.2p1 Debian-2' }, (client) => {
    connections.add(client)
    let serverId: number | undefined
    // A client going away mid-handshake is its business, not an emulator error.
    client.on('error', () => {})
    client.on('close', () => connections.delete(client))
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== 'root') return ctx.reject(['publickey'])
      const found = masters.serverForKey(ctx.key.data)
      if (!found) return ctx.reject(['publickey'])
      // Without a signature the client only asks whether the key would do.
      if (ctx.signature) {
        if (!ctx.blob || found.key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey'])
        serverId = found.serverId
      }
      ctx.accept()
    })
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession()
        session.on('exec', (accept, _reject, info) => {
          const channel = accept()
          const id = serverId!
          if (!masters.reachable(id)) {
            // The VM went down (stopped, deleted) under the connection.
            client.end()
            return
          }
          void run(channel, id, info.command).catch((err: unknown) => {
            console.error('okeanos emulator: ssh exec failed:', (err as Error)?.stack ?? err)
            channel.stderr.write('emulator: internal error\n')
            channel.exit(255)
            channel.end()
          })
        })
      })
    })
  })

  async function run(channel: ssh2.ServerChannel, serverId: number, command: string): Promise<void> {
    const rule = masters.takeFailure(serverId, command)
    if (rule) {
      channel.resume() // whatever the client still sends goes nowhere
      channel.stderr.write(rule.stderr)
      channel.exit(rule.exitCode)
      channel.end()
      masters.record({ serverId, command, exitCode: rule.exitCode, injected: rule.id })
      return
    }
    const outcome = await execute(masters.vm(serverId), command, channel, { blobs: env.blobs, jobId })
    if (!outcome) {
      masters.record({ serverId, command, exitCode: null })
      return
    }
    // Whatever the command did not read of its stdin is discarded, as when a process exits.
    channel.resume()
    if (outcome.stdout) channel.write(outcome.stdout)
    if (outcome.stderr) channel.stderr.write(outcome.stderr)
    channel.exit(outcome.exitCode)
    channel.end()
    masters.record({ serverId, command, exitCode: outcome.exitCode })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.end()
        server.close(() => resolve())
      }),
  }
}
