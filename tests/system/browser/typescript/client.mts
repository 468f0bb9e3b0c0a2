// A TypeScript client of the documents service: openapi-fetch, typed by the paths that
// openapi-typescript generates from the service's OpenAPI into ./documents.d.mts (the test
// generates it, then compiles this file with tsc --strict, so a read the document does not
// declare fails to compile). Run with node: node client.mjs BASE_URL TOKEN SYMBOL; it prints
// the document as read in Russian (?lang=ru), as JSON.
import createClient from "openapi-fetch";
import type { paths } from "./documents.mjs";

declare const process: { argv: string[] };

const [baseUrl, token, symbol] = process.argv.slice(2);
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
const { data, error, response } = await client.GET("/documents/{symbol}", {
  params: { path: { symbol }, query: { lang: "ru" } },
});
if (data === undefined) {
  throw new Error(`${response.status}: ${JSON.stringify(error)}`);
}
console.log(JSON.stringify({
  status: response.status,
  contentLanguage: response.headers.get("Content-Language"),
  symbol: data.symbol,
  language: data.language,
  title: data.title,
}));
