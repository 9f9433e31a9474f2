--[[
  Revokes one session if it belongs to the given user (and, for a logout, if the secret matches).

  KEYS[1] session hash          <prefix>{tag}:s:<member>
  KEYS[2] session index zset    <prefix>{tag}:ix
  ARGV[1] index member
  ARGV[2] expected user id, or '' to skip the owner check (the caller proved possession of the secret)
  ARGV[3] hex SHA-256 of the secret, or '' to skip the secret check (the caller proved ownership)

  Reply: 1 revoked | 0 already gone | -1 not the owner's or wrong secret (nothing changed)
  Errors: NO_PROOF (both checks skipped)
]]
if ARGV[2] == '' and ARGV[3] == '' then return redis.error_reply('NO_PROOF') end
local s = redis.call('HMGET', KEYS[1], 'uid', 'sh')
if not s[1] then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
if ARGV[2] ~= '' and s[1] ~= ARGV[2] then return -1 end
if ARGV[3] ~= '' then
  if #ARGV[3] ~= 64 or #s[2] ~= 64 then return -1 end
  -- Fixed-work comparison (see validate-N.lua).
  local diff = 0
  for i = 1, 64, 8 do
    local a1, a2, a3, a4, a5, a6, a7, a8 = string.byte(s[2], i, i + 7)
    local b1, b2, b3, b4, b5, b6, b7, b8 = string.byte(ARGV[3], i, i + 7)
    diff = bit.bor(diff, bit.bxor(a1, b1), bit.bxor(a2, b2), bit.bxor(a3, b3), bit.bxor(a4, b4),
      bit.bxor(a5, b5), bit.bxor(a6, b6), bit.bxor(a7, b7), bit.bxor(a8, b8))
  end
  if diff ~= 0 then return -1 end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
