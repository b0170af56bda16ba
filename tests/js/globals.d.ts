// What the pages' scripts find on `window` besides the DOM, for TypeScript's checker only (it is
// never loaded by a page). The vendored libraries are typed by the npm packages they were copied
// from, pinned to the same versions in package.json (see web/static/vendor/VERSIONS).

import type { Socket as IoSocket, io as ioLookup } from "socket.io-client";
import type uPlotClass from "uplot";

declare global {
  /** A Socket.IO client socket, as `io()` gives it. */
  type Socket = IoSocket;

  interface Window {
    /** socket.io-client's global, from vendor/socket.io/socket.io(.msgpack).min.js. */
    io?: typeof ioLookup;
    /** uPlot's global, from vendor/uplot/uPlot.iife.min.js (its types name it `uPlot` too). */
    uPlot?: typeof uPlotClass;
    /** The room page puts its state, board, charts, timeline and socket here for the browser tests and
     * the curious; the sweep and compare pages their curves. */
    simrooms?: {
      view?: import("../../web/static/js/room_state.js").RoomState;
      board?: import("../../web/static/js/board.js").Board;
      charts?: import("../../web/static/js/charts.js").Charts;
      timeline?: import("../../web/static/js/room_timeline.js").Timeline;
      /** the room page's socket: tests drop and restore the connection with it */
      socket?: Socket;
      curves?: import("../../web/static/js/curves.js").CurveCharts;
    };
  }
}
