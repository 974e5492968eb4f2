/**
 * noether/graph — graph networks: the GraphsTuple (batching, padding, checks), differentiable
 * segment sum/mean/max/softmax, GN blocks, interaction networks, deep sets,
 * encode–process–decode, Hamiltonian graph networks, and E(n)-equivariant GNNs (EGNN).
 */
export {
  GraphStructureError,
  batchGraphs,
  chainEdges,
  checkGraph,
  disposeGraph,
  edgeGraphIds,
  fullyConnected,
  nodeGraphIds,
  numEdges,
  numGraphs,
  numNodes,
  paddingMasks,
  refGraph,
  replaceGraph,
  type BatchOptions,
  type GraphsTuple,
  type HostGraph,
} from "./graphs.js";
export {
  gatherRows,
  segmentCount,
  segmentMax,
  segmentMean,
  segmentReducer,
  segmentSoftmax,
  segmentSum,
  type Aggregation,
  type SegmentOptions,
} from "./segment.js";
export {
  deepSets,
  encodeProcessDecode,
  gnBlock,
  graphSegments,
  interactionNetwork,
  type EPDOptions,
  type EPDParams,
  type EdgeInput,
  type GNBlockOptions,
  type GNBlockParams,
  type GlobalInput,
  type GraphModule,
  type NodeInput,
} from "./gn.js";
export {
  egnn,
  egnnLayer,
  messagePassingGNN,
  simdWidth,
  type EGNNLayerOptions,
  type EGNNLayerParams,
  type EGNNOptions,
  type EGNNParams,
  type EGNNState,
  type GNNOptions,
  type GNNParams,
  type GraphStructure,
} from "./egnn.js";
export { hamiltonianGraphNetwork, type HGNOptions } from "./hgn.js";
export { makeTreeTrainStep, type TreeStepOutput } from "./train.js";
