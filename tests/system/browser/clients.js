// A web client of the CICA services, with the browser's own APIs only (fetch, EventSource).
//
// Its configuration is the page's fragment, as JSON (a fragment is never sent to a server):
//   {"registry": URL, "documents": URL, "symbol": "SUM/2022/DRAFT/1", "token": JWT,
//    "liveEventType": "DraftCreated"}
// It reads what the configuration allows, each step on its own: the public member list
// (registry), a document as the token's member state with its ETag (documents), and the
// documents service's live events as that state (EventSource, the token as `access_token`,
// since an EventSource sends no header), keeping those of `liveEventType`. Each result goes
// to `window.results` and to the page.
"use strict";

const results = (window.results = {});

function show(name, value) {
  results[name] = value;
  const element = document.getElementById(name);
  if (element) element.textContent = JSON.stringify(value, null, 2);
}

async function readMembers(registry) {
  try {
    const answer = await fetch(`${registry}/members`);
    const body = await answer.json();
    show("members", {
      status: answer.status,
      count: body.count,
      codes: body.member_states.map((state) => state.code),
    });
  } catch (error) {
    show("members", { error: String(error) });
  }
}

async function readDocument(documents, symbol, token) {
  try {
    const answer = await fetch(`${documents}/documents/${symbol}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const body = await answer.json();
    show("document", {
      status: answer.status,
      symbol: body.symbol,
      distribution: body.distribution,
      etag: answer.headers.get("ETag"),
      contentLanguage: answer.headers.get("Content-Language"),
    });
  } catch (error) {
    show("document", { error: String(error) });
  }
}

function followLive(documents, token, eventType) {
  const live = { open: false, errors: 0, events: [] };
  show("live", live);
  const url = `${documents}/live?access_token=${encodeURIComponent(token)}`;
  const source = new EventSource(url);
  window.liveSource = source;
  source.onopen = () => {
    live.open = true;
    show("live", live);
  };
  source.onerror = () => {
    live.errors += 1;
    show("live", live);
  };
  source.addEventListener(eventType, (message) => {
    live.events.push({ type: message.type, id: message.lastEventId, cloudEvent: JSON.parse(message.data) });
    show("live", live);
  });
}

const config = JSON.parse(decodeURIComponent(location.hash.slice(1)) || "{}");
if (config.registry) readMembers(config.registry);
if (config.documents && config.symbol && config.token) {
  readDocument(config.documents, config.symbol, config.token);
}
if (config.documents && config.token && config.liveEventType) {
  followLive(config.documents, config.token, config.liveEventType);
}
