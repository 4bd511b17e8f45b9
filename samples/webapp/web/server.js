const http = require('node:http');
const port = Number(process.argv[process.argv.indexOf('--port') + 1] || 3000);
http.createServer((req, res) => {
  res.end(req.url === '/health' ? 'ok' : 'hello from webapp\n');
}).listen(port);
