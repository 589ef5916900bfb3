-- reserve_release: ends an owner's reservation of backends; an entry another owner holds is
-- left alone (a plain HDEL would let a stalled holder end its successor's reservation).
--
-- KEYS[1] reservation hash {p}:state:reservation:{site}
-- ARGV[1] owner  ARGV[2..] backend ids
-- Returns the number of entries released.

local released = 0
for i = 2, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur then
    local who = string.match(cur, '^%d+ %d+ (.*)$')
    if who == ARGV[1] then
      redis.call('HDEL', KEYS[1], ARGV[i])
      released = released + 1
    end
  end
end
return released
