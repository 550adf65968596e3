export { FlowNode, nodeTypes } from "./FlowNode";
export * from "./graph";
export { useMeasuredNodes } from "./useMeasuredNodes";
