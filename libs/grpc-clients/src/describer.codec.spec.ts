import type { Answer, Descriptions } from '@vsearch/contracts';
import { describerV1 } from '@vsearch/proto';
import { answerFromProto, answerToProto, descriptionsFromProto, descriptionsToProto } from './describer.codec';

describe('describer codec', () => {
  it('carries descriptions and their finish reasons both ways', () => {
    const descriptions: Descriptions = {
      modelId: 'describer-mini@1.0.0+fp32',
      descriptions: [
        { text: 'a red striped shirt', tokenIds: [7, 8, 9, 10], finishReason: 'stop' },
        { text: 'a bag', tokenIds: [7, 11], finishReason: 'length' },
        { text: 'red red', tokenIds: [8, 8], finishReason: 'repetition' },
      ],
    };
    const wire = describerV1.DescribeResponse.decode(describerV1.DescribeResponse.encode(descriptionsToProto(descriptions)).finish());
    expect(descriptionsFromProto(wire)).toEqual(descriptions);
  });

  it('carries an answer with its unknown words both ways', () => {
    const answer: Answer = {
      answer: { text: "i can't tell from the photo", tokenIds: [], finishReason: 'stop' },
      answerable: false,
      unknownWords: ['zyzzyva'],
      modelId: 'describer-mini@1.0.0+fp32',
    };
    const wire = describerV1.AskResponse.decode(describerV1.AskResponse.encode(answerToProto(answer)).finish());
    expect(answerFromProto(wire)).toEqual(answer);
  });

  it('refuses a generation without a finish reason, which a server never sends', () => {
    const message: describerV1.AskResponse = {
      answer: { text: 'x', tokenIds: [5], finishReason: describerV1.FinishReason.FINISH_REASON_UNSPECIFIED },
      answerable: true,
      unknownWords: [],
      modelId: 'm',
    };
    expect(() => answerFromProto(message)).toThrow(/finish reason/);
    expect(() => answerFromProto({ ...message, answer: undefined })).toThrow(/missing/);
  });
});
