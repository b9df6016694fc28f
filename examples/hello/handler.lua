-- Says hello to ?name= (or to the world): the smallest function; a string is a 200 response.
return function(req)
	return "Hello, " .. (req.query.name or "world") .. "!\n"
end
