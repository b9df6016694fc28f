-- Rolls ?n= dice (default 3) with math.random and answers JSON built by hand: {"dice":[...],"sum":N}.
local json = { ["Content-Type"] = "application/json" }

return function(req)
	local n = math.tointeger(tonumber(req.query.n or "3"))
	if not n or n < 1 or n > 100 then
		return { status = 400, headers = json, body = '{"error":"n must be an integer from 1 to 100"}\n' }
	end
	local dice, sum = {}, 0
	for i = 1, n do
		dice[i] = math.random(6)
		sum = sum + dice[i]
	end
	return { headers = json, body = string.format('{"dice":[%s],"sum":%d}\n', table.concat(dice, ","), sum) }
end
