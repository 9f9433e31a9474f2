--[[
  Deletes a key only while it still holds the expected value (releasing a lease or lock that may have
  expired and been taken by someone else).

  KEYS[1]  the key
  ARGV[1]  the expected value (the holder's token)

  Reply: 1 deleted, 0 the key is absent or holds another value.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
