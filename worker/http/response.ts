/**
 * A response from a stub or a binding has immutable headers; the security and request-id
 * middleware need to set theirs. A websocket upgrade keeps its socket.
 */
export function mutable(res: Response): Response {
  if (res.webSocket)
    return new Response(null, { status: 101, webSocket: res.webSocket, headers: res.headers })
  return new Response(res.body, res)
}
