--[[
  Revokes one batch of a user's sessions, optionally keeping one. The caller loops until `left` is 0, so
  one call never blocks the server for long however large the index has grown.

  KEYS[1] session index zset    <prefix>{tag}:ix
  ARGV[1] session key prefix (<prefix>{tag}:s:); sibling keys share the {tag} slot (see create-3.lua)
  ARGV[2] member to keep, or ''
  ARGV[3] batch size (>= 1)

  Reply: {left, member...}  left = members still indexed, not counting the kept one; then the members whose
                            live session this call deleted (for revocation events)
]]
local keep, batch = ARGV[2], tonumber(ARGV[3])
local out = {0}
-- One extra so that the kept member can never use up a whole batch.
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, batch)) do
  if m ~= keep and batch > 0 then
    if redis.call('DEL', ARGV[1] .. m) == 1 then out[#out + 1] = m end
    redis.call('ZREM', KEYS[1], m)
    batch = batch - 1
  end
end
local left = redis.call('ZCARD', KEYS[1])
if keep ~= '' and redis.call('ZSCORE', KEYS[1], keep) then left = left - 1 end
out[1] = left
return out
