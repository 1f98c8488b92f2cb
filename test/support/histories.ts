import proto from '@temporalio/proto';

// Through @temporalio/proto's own classes: npm installs the SDK's protobufjs more than once here,
// and the SDK's historyToJSON then meets types of another copy ("type must be a Type").
const { History } = proto.temporal.api.history.v1;
type HistoryMessage = proto.temporal.api.history.v1.History;

/** A workflow history as readable JSON, for committing under test/histories. */
export const historyToText = (history: proto.temporal.api.history.v1.IHistory): string =>
  JSON.stringify(History.toObject(History.fromObject(history), { longs: String, enums: String, bytes: String, defaults: false }), null, 1);

export const historyFromText = (text: string): HistoryMessage => History.fromObject(JSON.parse(text));
