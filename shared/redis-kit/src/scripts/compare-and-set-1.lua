--[[
  Replaces a key's value, with a new expiry, only while it still holds the expected value (promoting an
  in-progress lease to a final mark without overwriting another holder's lease).

  KEYS[1]  the key
  ARGV[1]  the expected current value
  ARGV[2]  the new value
  ARGV[3]  the new time to live, in milliseconds (> 0)

  Reply: 1 replaced, 0 the key is absent or holds another value.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
