// Core ML schema facts (coremltools' Model.proto, NeuralNetwork.proto, MIL.proto): the model
// types of Model.Type, the neural network layer kinds of NeuralNetworkLayer.layer with the fields
// of each that hold WeightParams (a nested one as "outer.inner"), MIL data types and the blob
// file's data types.

import {
  DT_BF16, DT_BOOL, DT_F16, DT_F32, DT_F64, DT_F8_E4M3, DT_F8_E5M2, DT_I16, DT_I32, DT_I4, DT_I64, DT_I8, DT_STR, DT_U16,
  DT_U2, DT_U32, DT_U4, DT_U64, DT_U8,
} from "../../core/dtype";

// "number:name[:weightName=field,...]" per layer kind.
const LAYERS: string =
  "100:convolution:weights=90,bias=91 120:pooling " +
  "130:activation:PReLU.alpha=25.1,parametricSoftplus.alpha=71.1,parametricSoftplus.beta=71.2 " +
  "140:innerProduct:weights=20,bias=21 150:embedding:weights=20,bias=21 " +
  "160:batchnorm:gamma=15,beta=16,mean=17,variance=18 165:mvn 170:l2normalize 175:softmax 180:lrn " +
  "190:crop 200:padding 210:upsample 211:resizeBilinear 212:cropResize 220:unary 230:add " +
  "231:multiply 240:average 245:scale:scale=2,bias=5 250:bias:bias=2 260:max 261:min 270:dot " +
  "280:reduce 290:loadConstant:data=2 300:reshape 301:flatten 310:permute 320:concat 330:split " +
  "340:sequenceRepeat 345:reorganizeData 350:slice " +
  "400:simpleRecurrent:weightMatrix=30,recursionMatrix=31,biasVector=32 " +
  "410:gru:updateGateWeightMatrix=30,resetGateWeightMatrix=31,outputGateWeightMatrix=32,updateGateRecursionMatrix=50,resetGateRecursionMatrix=51,outputGateRecursionMatrix=52,updateGateBiasVector=70,resetGateBiasVector=71,outputGateBiasVector=72 " +
  "420:uniDirectionalLSTM:weightParams.inputGateWeightMatrix=20.1,weightParams.forgetGateWeightMatrix=20.2,weightParams.blockInputWeightMatrix=20.3,weightParams.outputGateWeightMatrix=20.4,weightParams.inputGateRecursionMatrix=20.20,weightParams.forgetGateRecursionMatrix=20.21,weightParams.blockInputRecursionMatrix=20.22,weightParams.outputGateRecursionMatrix=20.23,weightParams.inputGateBiasVector=20.40,weightParams.forgetGateBiasVector=20.41,weightParams.blockInputBiasVector=20.42,weightParams.outputGateBiasVector=20.43,weightParams.inputGatePeepholeVector=20.60,weightParams.forgetGatePeepholeVector=20.61,weightParams.outputGatePeepholeVector=20.62 " +
  "430:biDirectionalLSTM:weightParams.inputGateWeightMatrix=20.1,weightParams.forgetGateWeightMatrix=20.2,weightParams.blockInputWeightMatrix=20.3,weightParams.outputGateWeightMatrix=20.4,weightParams.inputGateRecursionMatrix=20.20,weightParams.forgetGateRecursionMatrix=20.21,weightParams.blockInputRecursionMatrix=20.22,weightParams.outputGateRecursionMatrix=20.23,weightParams.inputGateBiasVector=20.40,weightParams.forgetGateBiasVector=20.41,weightParams.blockInputBiasVector=20.42,weightParams.outputGateBiasVector=20.43,weightParams.inputGatePeepholeVector=20.60,weightParams.forgetGatePeepholeVector=20.61,weightParams.outputGatePeepholeVector=20.62 " +
  "500:custom:weights=20 600:copy 605:branch 615:loop 620:loopBreak 625:loopContinue " +
  "635:rangeStatic 640:rangeDynamic 660:clip 665:ceil 670:floor 680:sign 685:round 700:exp2 " +
  "710:sin 715:cos 720:tan 730:asin 735:acos 740:atan 750:sinh 755:cosh 760:tanh 770:asinh " +
  "775:acosh 780:atanh 790:erf 795:gelu 815:equal 820:notEqual 825:lessThan 827:lessEqual " +
  "830:greaterThan 832:greaterEqual 840:logicalOr 845:logicalXor 850:logicalNot 855:logicalAnd " +
  "865:modBroadcastable 870:minBroadcastable 875:maxBroadcastable 880:addBroadcastable " +
  "885:powBroadcastable 890:divideBroadcastable 895:floorDivBroadcastable " +
  "900:multiplyBroadcastable 905:subtractBroadcastable 920:tile 925:stack 930:gather 935:scatter " +
  "940:gatherND 945:scatterND 950:softmaxND 952:gatherAlongAxis 954:scatterAlongAxis 960:reverse " +
  "965:reverseSeq 975:splitND 980:concatND 985:transpose 995:sliceStatic 1000:sliceDynamic " +
  "1005:slidingWindows 1015:topK 1020:argMin 1025:argMax 1040:embeddingND:weights=20,bias=21 " +
  "1045:batchedMatmul:weights=8,bias=9 1065:getShape 1070:loadConstantND:data=2 1080:fillLike " +
  "1085:fillStatic 1090:fillDynamic 1100:broadcastToLike 1105:broadcastToStatic " +
  "1110:broadcastToDynamic 1120:squeeze 1125:expandDims 1130:flattenTo2D 1135:reshapeLike " +
  "1140:reshapeStatic 1145:reshapeDynamic 1150:rankPreservingReshape 1155:constantPad " +
  "1170:randomNormalLike 1175:randomNormalStatic 1180:randomNormalDynamic 1190:randomUniformLike " +
  "1195:randomUniformStatic 1200:randomUniformDynamic 1210:randomBernoulliLike " +
  "1215:randomBernoulliStatic 1220:randomBernoulliDynamic 1230:categoricalDistribution " +
  "1250:reduceL1 1255:reduceL2 1260:reduceMax 1265:reduceMin 1270:reduceSum 1275:reduceProd " +
  "1280:reduceMean 1285:reduceLogSum 1290:reduceSumSquare 1295:reduceLogSumExp 1313:whereNonZero " +
  "1315:matrixBandPart 1320:lowerTriangular 1325:upperTriangular 1330:whereBroadcastable " +
  "1350:layerNormalization:gamma=3,beta=4 1400:NonMaximumSuppression 1450:oneHot 1455:cumSum " +
  "1460:clampedReLU 1461:argSort 1465:pooling3d 1466:globalPooling3d 1470:sliceBySize " +
  "1471:convolution3d:weights=60,bias=61 ";
// "number:name" per model type.
const MODELS: string =
  "200:pipelineClassifier 201:pipelineRegressor 202:pipeline 300:glmRegressor " +
  "301:supportVectorRegressor 302:treeEnsembleRegressor 303:neuralNetworkRegressor " +
  "304:bayesianProbitRegressor 400:glmClassifier 401:supportVectorClassifier " +
  "402:treeEnsembleClassifier 403:neuralNetworkClassifier 404:kNearestNeighborsClassifier " +
  "500:neuralNetwork 501:itemSimilarityRecommender 502:mlProgram 555:customModel 556:linkedModel " +
  "560:classConfidenceThresholding 600:oneHotEncoder 601:imputer 602:featureVectorizer " +
  "603:dictVectorizer 604:scaler 606:categoricalMapping 607:normalizer 609:arrayFeatureExtractor " +
  "610:nonMaximumSuppression 900:identity 2000:textClassifier 2001:wordTagger " +
  "2002:visionFeaturePrint 2003:soundAnalysisPreprocessing 2004:gazetteer 2005:wordEmbedding " +
  "2006:audioFeaturePrint 3000:serializedModel ";

export class LayerKind {
  constructor(public num: i32, public name: string, public weightNames: string[], public weightFields: i32[], public nestedFields: i32[]) {}
}

let layerKinds: LayerKind[] | null = null;

function kinds(): LayerKind[] {
  if (layerKinds !== null) return layerKinds!;
  const out = new Array<LayerKind>();
  const items = LAYERS.trim().split(" ");
  for (let i = 0; i < items.length; i++) {
    const parts = items[i].split(":");
    const names = new Array<string>();
    const fields = new Array<i32>();
    const nested = new Array<i32>();
    if (parts.length > 2) {
      const ws = parts[2].split(",");
      for (let j = 0; j < ws.length; j++) {
        const kv = ws[j].split("=");
        names.push(kv[0]);
        const nums = kv[1].split(".");
        fields.push(I32.parseInt(nums[0]));
        nested.push(nums.length > 1 ? I32.parseInt(nums[1]) : 0);
      }
    }
    out.push(new LayerKind(I32.parseInt(parts[0]), parts[1], names, fields, nested));
  }
  layerKinds = out;
  return out;
}

export function layerKind(num: i32): LayerKind | null {
  const k = kinds();
  for (let i = 0; i < k.length; i++) if (k[i].num == num) return k[i];
  return null;
}

export function modelTypeName(num: i32): string {
  const items = MODELS.trim().split(" ");
  for (let i = 0; i < items.length; i++) {
    const c = items[i].indexOf(":");
    if (I32.parseInt(items[i].substring(0, c)) == num) return items[i].substring(c + 1);
  }
  return "";
}

// Model fields
export const M_SPEC_VERSION = 1, M_DESCRIPTION = 2, M_IS_UPDATABLE = 10;
export const T_PIPELINE_CLASSIFIER = 200, T_PIPELINE_REGRESSOR = 201, T_PIPELINE = 202, T_NN_REGRESSOR = 303, T_NN_CLASSIFIER = 403,
  T_NN = 500, T_ML_PROGRAM = 502, T_CUSTOM_MODEL = 555, T_LINKED_MODEL = 556;
export const L_CUSTOM = 500;

// MIL DataType -> core dtype (-1: none)
export function milDtype(t: i32): i32 {
  switch (t) {
    case 1: return DT_BOOL;
    case 2: return DT_STR;
    case 10: return DT_F16;
    case 11: return DT_F32;
    case 12: return DT_F64;
    case 13: return DT_BF16;
    case 21: return DT_I8;
    case 22: return DT_I16;
    case 23: return DT_I32;
    case 24: return DT_I64;
    case 25: return DT_I4;
    case 31: return DT_U8;
    case 32: return DT_U16;
    case 33: return DT_U32;
    case 34: return DT_U64;
    case 35: return DT_U4;
    case 36: return DT_U2;
    case 40: return DT_F8_E4M3;
    case 41: return DT_F8_E5M2;
  }
  return -1;
}

const MIL_NAMES: string = "0:UNUSED 1:BOOL 2:STRING 10:FLOAT16 11:FLOAT32 12:FLOAT64 13:BFLOAT16 21:INT8 22:INT16 23:INT32 24:INT64 25:INT4 31:UINT8 32:UINT16 33:UINT32 34:UINT64 35:UINT4 36:UINT2 37:UINT1 38:UINT6 39:UINT3 40:FLOAT8E4M3FN 41:FLOAT8E5M2";
export function milTypeName(t: i32): string {
  const items = MIL_NAMES.split(" ");
  for (let i = 0; i < items.length; i++) {
    const c = items[i].indexOf(":");
    if (I32.parseInt(items[i].substring(0, c)) == t) return items[i].substring(c + 1);
  }
  return "TYPE_" + t.toString();
}

// The MIL DataType a blob file's data type code stands for (weight.bin metadata), or -1.
export function blobMilType(code: u32): i32 {
  switch (code) {
    case 1: return 10; // Float16
    case 2: return 11; // Float32
    case 3: return 31; // UInt8
    case 4: return 21; // Int8
    case 5: return 13; // BFloat16
    case 6: return 22; // Int16
    case 7: return 32; // UInt16
    case 8: return 25; // Int4
    case 9: return 37; // UInt1
    case 10: return 36; // UInt2
    case 11: return 35; // UInt4
    case 12: return 39; // UInt3
    case 13: return 38; // UInt6
    case 14: return 23; // Int32
    case 15: return 33; // UInt32
    case 16: return 40; // Float8E4M3FN
    case 17: return 41; // Float8E5M2
  }
  return -1;
}

// ArrayFeatureType.ArrayDataType -> name
export function arrayTypeName(t: i32): string {
  if (t == 65568) return "FLOAT32";
  if (t == 65600) return "DOUBLE";
  if (t == 131104) return "INT32";
  if (t == 131080) return "INT8";
  if (t == 65552) return "FLOAT16";
  return "TYPE_" + t.toString();
}
