export { FlowNode, nodeTypes } from "./FlowNode";
export * from "./graph";
