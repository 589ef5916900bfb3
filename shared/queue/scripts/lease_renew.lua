-- lease_renew: extends the lease only if this token and epoch still hold it; an expired or
-- taken-over lease is never revived.
--
-- KEYS[1] lease hash {p}:lease:{name}
-- ARGV[1] token  ARGV[2] epoch  ARGV[3] ttl ms
-- Returns 1 if extended, 0 if the lease is not ours.

local cur = redis.call('HMGET', KEYS[1], 'token', 'epoch')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
