-- lease_release: deletes the lease only if this token and epoch still hold it, so a stalled
-- former holder can never delete its successor's lease. The epoch counter is kept.
--
-- KEYS[1] lease hash {p}:lease:{name}
-- ARGV[1] token  ARGV[2] epoch
-- Returns 1 if released, 0 if the lease was not ours.

local cur = redis.call('HMGET', KEYS[1], 'token', 'epoch')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
