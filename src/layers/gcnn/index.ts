/**
 * noether/gcnn — group-equivariant CNNs on square grids (Cohen & Welling 2016): lifting and group
 * convolutions over p1, p4 and p4m, group pooling, batch norm over the group axis, the action on
 * feature maps (for tests and augmentation), and the rotated-MNIST networks.
 */
export { groupConv, liftingConv, type ConvImpl, type GConvLayer, type GConvOptions, type GConvParams } from "./conv.js";
export {
  groupBatchNorm,
  groupPool,
  initBatchNorm,
  maxPool2,
  rotationPool,
  toChannelsFirst,
  transformFeatures,
  type BatchNormParams,
} from "./features.js";
export { defaultChannels, gcnn, type GCNN, type GCNNOptions, type GCNNParams } from "./model.js";
export { P1, P4, P4M, planeGroup, type PlaneGroup } from "../../groups/plane.js";
