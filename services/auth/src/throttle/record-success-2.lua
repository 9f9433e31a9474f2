--[[
  A successful login from an address: its pair record is forgotten, and the address becomes a known one
  for the account (exempt from the account-wide back-off) for ARGV[1] ms. The account record is kept:
  the owner's success does not give a distributed guesser a fresh allowance.

  KEYS[1] pair record     auth:login-failures:{<email hmac>}:<address hmac>
  KEYS[2] known address   auth:login-known:{<email hmac>}:<address hmac>
  ARGV[1] how long the address stays known, ms

  Reply: 1
]]
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[1]))
return 1
