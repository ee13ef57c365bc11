import { authHeaders, errorOf, type ApiError } from './api.js'

// An upload through XMLHttpRequest, for its upload progress events (fetch has none): the browser streams the
// file from disk, so a 256 MB jar neither freezes the page nor is read into memory.

export function upload(form: FormData, onProgress: (sent: number, total: number) => void): Promise<{ id: string; message: string }> {
  return new Promise((resolve, reject: (error: ApiError) => void) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', '/api/apps/')
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value)
    xhr.setRequestHeader('accept', 'application/json')
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total)
    })
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        const reply = JSON.parse(xhr.responseText) as { status: { short_description: string }; data?: { id: string }[] }
        resolve({ id: reply.data?.[0]?.id ?? '', message: reply.status.short_description })
      } else reject(errorOf(xhr.status, xhr.responseText))
    })
    xhr.addEventListener('error', () => reject(errorOf(0, '')))
    xhr.send(form)
  })
}
