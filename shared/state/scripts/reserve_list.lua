-- reserve_list: the live reservations of a site; expired entries are deleted on the way.
--
-- KEYS[1] reservation hash {p}:state:reservation:{site}
-- Returns a flat array: backend id, epoch, expires at (ms), owner, … for each live entry.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local e, exp, who = string.match(all[i + 1], '^(%d+) (%d+) (.*)$')
  if e and tonumber(exp) > now then
    table.insert(out, all[i])
    table.insert(out, e)
    table.insert(out, exp)
    table.insert(out, who)
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return out
