/**
 * Wire format of the Minecraft Java Server List Ping (1.7+), status state only: no compression,
 * no encryption. Spec: wiki.vg "Server List Ping" (see docs/minecraft.md#server-list-ping).
 * Frame = VarInt(length of id + data) | VarInt(packet id) | data.
 */

/** A VarInt is at most 5 bytes (32 bits, 7 per byte). */
const VARINT_MAX_BYTES = 5

/** Protocol version sent in the handshake; any value works for status, -1 means "unknown". */
export const SLP_UNKNOWN_PROTOCOL = -1

/** Encodes a 32-bit signed integer as a VarInt (negative numbers take 5 bytes). */
export function encodeVarInt(value: number): Buffer {
  const bytes: number[] = []
  let v = value >>> 0
  do {
    let byte = v & 0x7f
    v >>>= 7
    if (v !== 0) byte |= 0x80
    bytes.push(byte)
  } while (v !== 0)
  return Buffer.from(bytes)
}

/**
 * Decodes a VarInt at `offset`. Returns null when the buffer ends first (wait for more bytes);
 * throws when it runs past 5 bytes (not a Minecraft server).
 */
export function decodeVarInt(buf: Buffer, offset = 0): { value: number; size: number } | null {
  let value = 0
  for (let i = 0; i < VARINT_MAX_BYTES; i++) {
    const byte = buf[offset + i]
    if (byte === undefined) return null
    value |= (byte & 0x7f) << (7 * i)
    if ((byte & 0x80) === 0) return { value, size: i + 1 }
  }
  throw new Error('VarInt longer than 5 bytes')
}

function encodeString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  return Buffer.concat([encodeVarInt(bytes.length), bytes])
}

/** Frames a packet: length prefix, id, payload. */
export function framePacket(id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.concat([encodeVarInt(id), payload])
  return Buffer.concat([encodeVarInt(body.length), body])
}

/** Handshake (0x00) asking for the status state, then the status request (0x00, empty). */
export function encodeStatusRequest(host: string, port: number, protocol = SLP_UNKNOWN_PROTOCOL) {
  const portBytes = Buffer.alloc(2)
  portBytes.writeUInt16BE(port)
  const handshake = framePacket(
    0x00,
    Buffer.concat([encodeVarInt(protocol), encodeString(host), portBytes, encodeVarInt(1)]),
  )
  return Buffer.concat([handshake, framePacket(0x00)])
}

/** Ping request (0x01) carrying a 64-bit payload the server echoes back. */
export function encodePing(payload: bigint): Buffer {
  const data = Buffer.alloc(8)
  data.writeBigInt64BE(payload)
  return framePacket(0x01, data)
}

/** One decoded frame: packet id and the bytes after it. */
export interface SlpPacket {
  id: number
  data: Buffer
}

/**
 * Takes whole frames off the front of `buf` (TCP may split or join them). Returns the frames and
 * the unconsumed rest.
 */
export function readPackets(buf: Buffer): { packets: SlpPacket[]; rest: Buffer } {
  const packets: SlpPacket[] = []
  let offset = 0
  for (;;) {
    const length = decodeVarInt(buf, offset)
    if (!length) break
    if (length.value < 1) throw new Error(`invalid packet length ${length.value}`)
    const start = offset + length.size
    if (buf.length < start + length.value) break
    const id = decodeVarInt(buf, start)
    if (!id || id.size > length.value) throw new Error('packet id runs past its frame')
    packets.push({ id: id.value, data: buf.subarray(start + id.size, start + length.value) })
    offset = start + length.value
  }
  return { packets, rest: buf.subarray(offset) }
}

/** Reads the status response's JSON string (VarInt length + UTF-8). */
export function decodeStatusJson(data: Buffer): string {
  const length = decodeVarInt(data)
  if (!length || data.length < length.size + length.value) {
    throw new Error('status response shorter than its JSON string')
  }
  return data.subarray(length.size, length.size + length.value).toString('utf8')
}
