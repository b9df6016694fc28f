-- Echoes the request: method, path, query string and headers (sorted) as text, then the body as it came.
return function(req)
	local lines = { req.method .. " " .. req.path, "query: " .. req.query_string }
	local names = {}
	for name in pairs(req.headers) do
		names[#names + 1] = name
	end
	table.sort(names)
	for _, name in ipairs(names) do
		lines[#lines + 1] = name .. ": " .. req.headers[name]
	end
	return {
		status = 200,
		headers = { ["Content-Type"] = "text/plain", ["X-Body-Length"] = #req.body },
		body = table.concat(lines, "\n") .. "\n\n" .. req.body,
	}
end
