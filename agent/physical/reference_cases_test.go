package physical

// referenceCases are the live ovn-controller 23.03.1 captures of
// ovn-chassis.md §3/§4 for the topology of referenceInput. exactCookie, when
// set, also requires that no other flow with that cookie exists. The
// captures of the helper tables (port security, load-balancer hairpin) are
// agent/lflow's reference_test.go.
var referenceCases = []struct {
	name        string
	exactCookie string
	flows       string
}{
	{name: "defaults (3.1)", flows: `
 priority=0 actions=drop
 table=37, priority=0 actions=resubmit(,39)
 table=38, priority=10,reg10=0x1/0x1 actions=resubmit(,40)
 table=38, priority=0 actions=resubmit(,39)
 table=39, priority=150,reg10=0x10/0x10 actions=resubmit(,40)
 table=39, priority=150,reg10=0x2/0x3 actions=resubmit(,40)
 table=39, priority=0 actions=resubmit(,40)
 table=40, priority=0 actions=drop
 table=41, priority=0 actions=set_field:0->reg0,set_field:0->reg1,set_field:0->reg2,set_field:0->reg3,set_field:0->reg4,set_field:0->reg5,set_field:0->reg6,set_field:0->reg7,set_field:0->reg8,set_field:0->reg9,resubmit(,42)
 table=64, priority=0 actions=resubmit(,65)
 table=65, priority=0 actions=drop
`},
	{name: "local VIF (3.2)", exactCookie: "0x29eafae7", flows: `
 cookie=0x29eafae7, priority=100,in_port=vm1 actions=set_field:0xc->reg13,set_field:0x3->reg11,set_field:0x5->reg12,set_field:0x1->metadata,set_field:0x1->reg14,resubmit(,8)
 cookie=0x29eafae7, table=40, priority=100,reg15=0x1,metadata=0x1 actions=set_field:0xc->reg13,set_field:0x3->reg11,set_field:0x5->reg12,resubmit(,41)
 cookie=0x29eafae7, table=41, priority=100,reg10=0/0x1,reg14=0x1,reg15=0x1,metadata=0x1 actions=drop
 cookie=0x29eafae7, table=64, priority=100,reg10=0x1/0x1,reg15=0x1,metadata=0x1 actions=push:NXM_OF_IN_PORT[],set_field:ANY->in_port,resubmit(,65),pop:NXM_OF_IN_PORT[]
 cookie=0x29eafae7, table=65, priority=100,reg15=0x1,metadata=0x1 actions=output:vm1
`},
	{name: "nested container (3.3)", exactCookie: "0x1ab9b3a4", flows: `
 cookie=0x1ab9b3a4, priority=150,in_port=vm1,dl_vlan=10 actions=set_field:0x20/0x20->reg10,pop_vlan,set_field:0x16->reg13,set_field:0x3->reg11,set_field:0x5->reg12,set_field:0x1->metadata,set_field:0x8->reg14,resubmit(,8)
 cookie=0x1ab9b3a4, table=40, priority=100,reg15=0x8,metadata=0x1 actions=set_field:0x16->reg13,set_field:0x3->reg11,set_field:0x5->reg12,resubmit(,41)
 cookie=0x1ab9b3a4, table=41, priority=100,reg10=0/0x1,reg14=0x8,reg15=0x8,metadata=0x1 actions=drop
 cookie=0x1ab9b3a4, table=64, priority=100,reg15=0x8,metadata=0x1 actions=push:NXM_OF_IN_PORT[],set_field:ANY->in_port,resubmit(,65),pop:NXM_OF_IN_PORT[]
 table=64, priority=100,reg10=0x20/0x20,reg15=0x1,metadata=0x1 actions=push:NXM_OF_IN_PORT[],set_field:ANY->in_port,resubmit(,65),pop:NXM_OF_IN_PORT[]
 cookie=0x1ab9b3a4, table=65, priority=100,reg15=0x8,metadata=0x1 actions=push_vlan:0x8100,set_field:4106->vlan_vid,output:vm1,pop_vlan
`},
	{name: "localport (3.4)", flows: `
 cookie=0x5b0d509f, priority=100,in_port=lp1 actions=set_field:0xd->reg13,set_field:0x3->reg11,set_field:0x5->reg12,set_field:0x1->metadata,set_field:0x4->reg14,set_field:0x400/0x400->reg10,resubmit(,8)
 cookie=0x5b0d509f, table=39, priority=150,reg14=0x4,metadata=0x1 actions=resubmit(,40)
 cookie=0x5b0d509f, table=65, priority=100,reg15=0x4,metadata=0x1 actions=output:lp1
`},
	{name: "patch (3.5)", exactCookie: "0x90848f3a", flows: `
 cookie=0x90848f3a, table=40, priority=100,reg15=0x6,metadata=0x1 actions=set_field:0x3->reg11,set_field:0x5->reg12,resubmit(,41)
 cookie=0x90848f3a, table=41, priority=100,reg10=0/0x1,reg14=0x6,reg15=0x6,metadata=0x1 actions=drop
 cookie=0x90848f3a, table=64, priority=100,reg10=0x1/0x1,reg15=0x6,metadata=0x1 actions=push:NXM_OF_IN_PORT[],set_field:ANY->in_port,resubmit(,65),pop:NXM_OF_IN_PORT[]
 cookie=0x90848f3a, table=65, priority=100,reg15=0x6,metadata=0x1 actions=clone(ct_clear,set_field:0->reg11,set_field:0->reg12,set_field:0->reg13,set_field:0x1->reg11,set_field:0x4->reg12,set_field:0x2->metadata,set_field:0x1->reg14,set_field:0->reg10,set_field:0->reg15,set_field:0->reg0,set_field:0->reg1,set_field:0->reg2,set_field:0->reg3,set_field:0->reg4,set_field:0->reg5,set_field:0->reg6,set_field:0->reg7,set_field:0->reg8,set_field:0->reg9,resubmit(,8))
`},
	{name: "l3gateway (3.5)", flows: `
 cookie=0xa0000003, table=65, priority=100,reg15=0x3,metadata=0x3 actions=clone(ct_clear,set_field:0->reg11,set_field:0->reg12,set_field:0->reg13,set_field:0xb->reg13,set_field:0x9->reg11,set_field:0xa->reg12,set_field:0x4->metadata,set_field:0x1->reg14,set_field:0->reg10,set_field:0->reg15,set_field:0->reg0,set_field:0->reg1,set_field:0->reg2,set_field:0->reg3,set_field:0->reg4,set_field:0->reg5,set_field:0->reg6,set_field:0->reg7,set_field:0->reg8,set_field:0->reg9,resubmit(,8))
`},
	{name: "localnet tagged (3.6)", flows: `
 cookie=0x5188d47b, priority=150,in_port=4,dl_vlan=100 actions=pop_vlan,set_field:0x8->reg13,set_field:0x7->reg11,set_field:0x6->reg12,set_field:0x3->metadata,set_field:0x1->reg14,resubmit(,8)
 cookie=0x5188d47b, table=65, priority=100,reg15=0x1,metadata=0x3 actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:4,pop_vlan
 cookie=0x26e73877, priority=180,dl_vlan=100 actions=conjunction(100,2/2)
 cookie=0x26e73877, priority=180,conj_id=100,in_port=4,dl_vlan=100 actions=pop_vlan,set_field:0x8->reg13,set_field:0x7->reg11,set_field:0x6->reg12,set_field:0x3->metadata,set_field:0x1->reg14,set_field:00:00:00:00:ff:02->eth_src,resubmit(,8)
`},
	{name: "localnet untagged (3.6)", flows: `
 cookie=0x2e989380, priority=100,in_port=10,dl_vlan=0 actions=pop_vlan,set_field:0x14->reg13,set_field:0x15->reg11,set_field:0x10->reg12,set_field:0x5->metadata,set_field:0x1->reg14,resubmit(,8)
 cookie=0x2e989380, priority=100,in_port=10,vlan_tci=0x0000/0x1000 actions=set_field:0x14->reg13,set_field:0x15->reg11,set_field:0x10->reg12,set_field:0x5->metadata,set_field:0x1->reg14,resubmit(,8)
 cookie=0x2e989380, table=65, priority=100,reg15=0x1,metadata=0x5 actions=output:10
 cookie=0x2e989380, table=41, priority=160,reg10=0x400/0x400,reg15=0x1,metadata=0x5 actions=drop
 cookie=0x2e989380, table=41, priority=160,reg10=0x10/0x10,reg15=0x1,metadata=0x5 actions=drop
`},
	{name: "localnet to external (3.6)", flows: `
 cookie=0x5188d47b, table=41, priority=170,reg10=0x400/0x400,reg15=0x1,metadata=0x3,dl_dst=00:00:00:00:02:01 actions=set_field:0->reg0,set_field:0->reg1,set_field:0->reg2,set_field:0->reg3,set_field:0->reg4,set_field:0->reg5,set_field:0->reg6,set_field:0->reg7,set_field:0->reg8,set_field:0->reg9,resubmit(,42)
`},
	{name: "remote port behind localnet (3.6)", exactCookie: "0xc343cbb", flows: `
 cookie=0xc343cbb, table=40, priority=100,reg15=0x3,metadata=0x5 actions=set_field:0x1->reg15,resubmit(,40)
`},
	{name: "chassisredirect local (3.8)", exactCookie: "0x6b584dd6", flows: `
  cookie=0x6b584dd6, table=40, priority=100,reg15=0x3,metadata=0x2 actions=set_field:0x2->reg15,set_field:0x1->reg11,set_field:0x4->reg12,resubmit(,41)
`},
	{name: "chassisredirect HA remote (3.8)", exactCookie: "0xe33b9464", flows: `
  cookie=0xe33b9464, table=39, priority=100,reg15=0x3,metadata=0x6 actions=set_field:0x6/0xffffff->tun_id,set_field:0x3->tun_metadata0,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30],bundle(eth_src,0,active_backup,ofport,members:"ovn-hv2-0","ovn-hv4-0")
`},
	{name: "external (3.9)", exactCookie: "0xaa5189f", flows: `
 cookie=0xaa5189f, table=40, priority=100,reg15=0x4,metadata=0x3 actions=set_field:0x1->reg15,resubmit(,40)
`},
	{name: "remote through tunnels (3.11)", flows: `
 cookie=0x7f3a9e32, table=39, priority=100,reg15=0x2,metadata=0x1 actions=set_field:0x1/0xffffff->tun_id,set_field:0x2->tun_metadata0,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30],output:"ovn-hv2-0",resubmit(,40)
 cookie=0x698c25e2, table=39, priority=100,reg15=0x3,metadata=0x1 actions=set_field:0x3001/0xffffff->tun_id,output:"ovn-hv3-0",resubmit(,40)
`},
	{name: "multicast _MC_flood (3.13)", exactCookie: "0xe61689c0", flows: `
 cookie=0xe61689c0, table=39, priority=100,reg15=0x8000,metadata=0x1 actions=set_field:0x4->reg15,resubmit(,41),set_field:0x7->reg15,resubmit(,41),set_field:0x6->reg15,resubmit(,41),set_field:0x8000->reg15,set_field:0x800001/0xffffff->tun_id,output:"ovn-hv3-0",set_field:0x1/0xffffff->tun_id,set_field:0x8000->tun_metadata0,move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30],output:"ovn-hv2-0",resubmit(,40)
 cookie=0xe61689c0, table=40, priority=100,reg15=0x8000,metadata=0x1 actions=set_field:0x16->reg13,set_field:0x8->reg15,resubmit(,41),set_field:0xc->reg13,set_field:0x1->reg15,resubmit(,41),set_field:0xd->reg13,set_field:0x8000->reg15
`},
	{name: "tunnel receive (4.4)", flows: `
 priority=100,in_port="ovn-hv2-0" actions=move:NXM_NX_TUN_ID[0..23]->OXM_OF_METADATA[0..23],move:NXM_NX_TUN_METADATA0[16..30]->NXM_NX_REG14[0..14],move:NXM_NX_TUN_METADATA0[0..15]->NXM_NX_REG15[0..15],resubmit(,40)
 priority=100,in_port="ovn-hv3-0" actions=move:NXM_NX_TUN_ID[12..23]->NXM_NX_REG15[0..11],move:NXM_NX_TUN_ID[0..11]->OXM_OF_METADATA[0..11],resubmit(,40)
 priority=105,tun_id=0x800000/0x800000,in_port="ovn-hv3-0" actions=set_field:0x8000/0x8000->reg15,move:NXM_NX_TUN_ID[12..22]->NXM_NX_REG15[0..10],move:NXM_NX_TUN_ID[0..11]->OXM_OF_METADATA[0..11],resubmit(,40)
`},
}
