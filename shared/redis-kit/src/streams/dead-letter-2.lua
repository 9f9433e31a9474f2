--[[
  Moves one pending stream entry to the dead-letter stream and acknowledges it, atomically, so an entry is
  never both dead-lettered and still pending (or acked and lost). The dead-letter entry keeps every
  original field and adds dlq.* fields.

  KEYS[1]  the stream
  KEYS[2]  the dead-letter stream (same hash slot: both carry the stream's {tag})
  ARGV[1]  the consumer group
  ARGV[2]  the entry id
  ARGV[3]  the reason (error message or "max-deliveries-exceeded")
  ARGV[4]  the delivery count at the time
  ARGV[5]  the consumer that gave up
  ARGV[6]  approximate maximum length of the dead-letter stream (MAXLEN ~)

  Reply: the dead-letter entry id, or nil when the entry had already been trimmed from the stream (it is
  acknowledged anyway).
]]
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local dead_letter_id = false
if #entry > 0 then
  local fields = entry[1][2]
  local now = redis.call('TIME')
  local at_ms = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
  local extra = {
    'dlq.source-stream', KEYS[1],
    'dlq.source-id', ARGV[2],
    'dlq.group', ARGV[1],
    'dlq.consumer', ARGV[5],
    'dlq.reason', ARGV[3],
    'dlq.deliveries', ARGV[4],
    'dlq.at', at_ms,
  }
  for i = 1, #extra do
    fields[#fields + 1] = extra[i]
  end
  dead_letter_id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', unpack(fields))
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return dead_letter_id
