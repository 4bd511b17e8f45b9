const http = require('node:http');
const config = require('../config/settings.json');
http.createServer((_req, res) => res.end(`${config.greeting}\n`)).listen(Number(process.env.PORT || 3000));
