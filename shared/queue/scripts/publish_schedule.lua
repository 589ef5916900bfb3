-- publish_schedule: stores the leader's schedule entries for the API, only while the fence
-- still holds the scheduler lease (a deposed leader cannot overwrite its successor's view).
--
-- KEYS[1] scheduler lease hash   KEYS[2] entries key {p}:scheduler:entries
-- ARGV[1] fence token  ARGV[2] fence epoch  ARGV[3] entries (JSON)
-- Returns 1 if stored, 0 if fenced off.

local cur = redis.call('HMGET', KEYS[1], 'token', 'epoch')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[3])
return 1
