-- reserve: reserves backends of one site as sources of one owner (an evacuation), all or none.
-- An entry of the same owner is renewed (same epoch); an expired entry is taken over; an entry of
-- another owner that has not expired refuses the whole call.
--
-- KEYS[1] reservation hash {p}:state:reservation:{site}   KEYS[2] epoch counter {p}:state:reservation:{site}:epoch
-- ARGV[1] owner  ARGV[2] ttl ms  ARGV[3..] backend ids
-- Entry value: "<epoch> <expires at, ms since the epoch> <owner>".
-- Returns {1, epoch} | {0, backend id, its owner}.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner, ttl = ARGV[1], tonumber(ARGV[2])
local epoch = nil
for i = 3, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur then
    local e, exp, who = string.match(cur, '^(%d+) (%d+) (.*)$')
    if tonumber(exp) > now then
      if who ~= owner then
        return {0, ARGV[i], who}
      end
      epoch = epoch or tonumber(e)
    end
  end
end
if not epoch then
  epoch = redis.call('INCR', KEYS[2])
end
local value = epoch .. ' ' .. (now + ttl) .. ' ' .. owner
for i = 3, #ARGV do
  redis.call('HSET', KEYS[1], ARGV[i], value)
end
return {1, epoch}
