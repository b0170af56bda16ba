// What the pages' scripts find on `window` besides the DOM, for TypeScript's checker only (it is
// never loaded by a page). The vendored libraries are typed by the npm packages they were copied
// from, pinned to the same versions in package.json (see web/static/vendor/VERSIONS).

import type { Socket as IoSocket, io as ioLookup } from "socket.io-client";
import type uPlotClass from "uplot";

declare global {
  /** socket.io-client's global, from vendor/socket.io/socket.io(.msgpack).min.js. */
  var io: typeof ioLookup | undefined;
  /** uPlot's global, from vendor/uplot/uPlot.iife.min.js. */
  var uPlot: typeof uPlotClass | undefined;

  /** A Socket.IO client socket, as `io()` gives it. */
  type Socket = IoSocket;
  /** uPlot's chart options. */
  type UPlotOptions = uPlotClass.Options;
  /** uPlot's chart data: the x values, then each series' values (null: a gap). */
  type UPlotData = uPlotClass.AlignedData;
  /** A uPlot chart. */
  type UPlot = uPlotClass;

  interface Window {
    /** room.js puts its state, board and charts here for the browser tests and the curious. */
    simrooms?: {
      view: import("../../web/static/js/room_state.js").RoomState;
      board: import("../../web/static/js/board.js").Board;
      charts: import("../../web/static/js/charts.js").Charts;
    };
  }
}
